"""Messy exports of issue 30, the readers' part: workbooks with merged cells, formulas without a saved value, data
on another sheet, web pages saved as .xls, zip archives, money and 12-hour times written as people write them, a
header one field short, ids stored as floats. Each case is checked as in tests/unit/test_messy_inputs.py: exact
totals, or one clear error naming the source, the column and what to change.
"""

import io as stdio
import zipfile

import openpyxl
import pandas as pd
import pytest
from tests.unit.test_messy_inputs import H, check, lines

from custseg.errors import SourceError


def workbook(*sheets, merge=(), formulas=()) -> bytes:
    """An .xlsx written by openpyxl (which stores formulas without calculating them): sheets of (name, rows),
    cell ranges to merge on the last sheet, and (cell, formula) pairs written there."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets:
        ws = book.create_sheet(name)
        for row in rows:
            ws.append(list(row))
    for cells in merge:
        ws.merge_cells(cells)
    for cell, formula in formulas:
        ws[cell] = formula
    out = stdio.BytesIO()
    book.save(out)
    return out.getvalue()


def calculated(book: bytes, *values: str) -> bytes:
    """The workbook as Excel saves it: each formula's result stored beside it (openpyxl leaves ``<v />``)."""
    out = stdio.BytesIO()
    with zipfile.ZipFile(stdio.BytesIO(book)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            for value in values if item.filename.startswith("xl/worksheets/") else ():
                data = data.replace(b"<v />", f"<v>{value}</v>".encode(), 1)
            dst.writestr(item, data)
    return out.getvalue()


def zipped(**members) -> bytes:
    out = stdio.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in members.items():
            archive.writestr(name.replace("__", "/"), text)
    return out.getvalue()


HEAD = ["customer_id", "order_ts", "amount"]
# an id and a date written once per merged block, as report-style exports do: 3 customers, 12 lines, 78.0
MERGED_ROWS = [HEAD] + [[c if i == 0 else None, f"2024-01-0{k + 1}" if i == 0 else None, float(k * 4 + i + 1)]
                        for k, c in enumerate(["A", "B", "C"]) for i in range(4)]
MERGED = workbook(("Sheet1", MERGED_ROWS), merge=[f"{c}{2 + 4 * k}:{c}{5 + 4 * k}" for k in range(3) for c in "AB"])
SALES = [HEAD, ["A", "2024-01-01", 1], ["B", "2024-01-02", 2]]
FORMULAS = [("C2", "=1+1"), ("C3", "=C2*2")]  # openpyxl stores them without a value
# a web back-office's "Excel" export: an HTML page with a layout table around the data, a colspan, a GBK charset
HTML_XLS = ('<!DOCTYPE html>\n<html><head><meta charset="gbk"></head><body><table><tr><td>订单导出</td></tr></table>'
            '<table border="1"><tr><th>customer_id</th><th>order_ts</th><th>amount</th></tr>'
            '<tr><td>张三</td><td>2024-01-01</td><td>￥1,234.50</td></tr><tr><td>李四</td><td>2024-01-02</td>'
            '<td>10</td></tr><tr><td rowspan="2">王五</td><td>2024-01-03</td><td>5</td></tr>'
            '<tr><td>2024-01-04</td><td>(0.50)</td></tr></table></body></html>').encode("gbk")


CASES = [
    ("chinese-12-hour-clock", {"t.csv": lines(("A", "2024/3/5 下午 3:04:05", "1"), ("B", "2024/3/5 上午 12:30:00", "1"),
                                              ("C", "2024/3/5 下午 12:10:00", "1"), ("D", "2024/3/6 上午 9:00", "1"))},
     {}, {}, ("parsed", {"amount": 4.0, "customers": 4, "lines": 4, "times": [
         "2024-03-05 00:30:00", "2024-03-05 12:10:00", "2024-03-05 15:04:05", "2024-03-06 09:00:00"]})),
    ("english-12-hour-clock", {"t.csv": lines(("A", "2024/03/05 03:04:05 PM", "1"), ("B", "2024-03-05 12:30 am", "1"),
                                              ("C", "2024/03/05 11:59:00 AM", "1"))}, {}, {},
     ("parsed", {"amount": 3.0, "customers": 3, "lines": 3, "times": [
         "2024-03-05 00:30:00", "2024-03-05 11:59:00", "2024-03-05 15:04:05"]})),
    ("12-hour-clock-with-format", {"t.csv": lines(("A", "05.03.2024 下午 3:04", "1"),
                                                  ("B", "05.03.2024 上午 9:15", "1"))},
     {"date_format": "%d.%m.%Y %H:%M"}, {}, ("parsed", {"amount": 2.0, "customers": 2, "lines": 2, "times": [
         "2024-03-05 09:15:00", "2024-03-05 15:04:00"]})),
    # ---- money written with the sign before the currency, the Unicode or full-width minus, brackets
    ("minus-before-currency", {"t.csv": lines(("A", "2024-01-01", "50.00"), ("A", "2024-01-02", "-¥12.50"),
                                              ("A", "2024-01-03", "¥-2.50"), ("A", "2024-01-04", "-$3"),
                                              ("A", "2024-01-05", "－1.5"), ("A", "2024-01-06", "(¥0.50)"),
                                              ("A", "2024-01-07", "\u22121"), ("A", "2024-01-08", "- ¥ 0.25"),
                                              ("A", "2024-01-09", "+€0.25"), ("A", "2024-01-10", "-1.25元"))}, {}, {},
     ("parsed", {"amount": 27.75, "customers": 1, "lines": 10})),
    # ---- a header one field short of its lines
    ("trailing-delimiter", {"t.csv": H + "A,2024-01-01,1,\nB,2024-01-02,2,\n"}, {}, {},
     ("parsed", {"amount": 3.0, "customers": 2, "lines": 2, "notes": {"customer_id": "an empty last field"}})),
    ("r-row-names", {"t.csv": '"customer_id","order_ts","amount"\n"1","A","2024-01-01",1\n"2","B","2024-01-02",2\n'
                     '"3","A","2024-01-03",4\n'}, {}, {},
     ("parsed", {"amount": 7.0, "customers": 2, "lines": 3, "notes": {"customer_id": "a row-number column"}})),
    ("header-one-name-short", {"t.csv": H + "x,A,2024-01-01,1\ny,B,2024-01-02,2\n"}, {}, {},
     ("error", SourceError, ["the header has 3 names but the data lines have 4 fields", "'x,A,2024-01-01,1'",
                             "not a column-mapping problem", "sources.transactions.header: false"])),
    # ---- ids stored as floating-point numbers
    ("float-ids-beyond-2-53", {"t.parquet": pd.DataFrame({"customer_id": [123456789012345678.0, 123456789012345679.0,
                                                                          1001.0], "order_ts": ["2024-01-01"] * 3,
                                                          "amount": [1.0, 2.0, 3.0]})}, {"path": "t.parquet"}, {},
     ("error", SourceError, ["column 'customer_id'", "floating-point", "2 of 3", "'123456789012345680'",
                             "export the ids as text"])),
    ("float-ids-with-fraction", {"t.parquet": pd.DataFrame({"customer_id": [1001.5, 1002.0], "order_ts": ["2024-01-01"]
                                                            * 2, "amount": [1.0, 2.0]})}, {"path": "t.parquet"}, {},
     ("error", SourceError, ["1 of 2 of them cannot be exact", "'1001.5'"])),
    ("integral-float-ids", {"t.parquet": pd.DataFrame({"customer_id": [1001.0, 1002.0, 1001.0, None],
                                                       "order_ts": ["2024-01-01"] * 4,
                                                       "amount": [1.0, 2.0, 3.0, 4.0]})},
     {"path": "t.parquet"}, {}, ("parsed", {"amount": 10.0, "customers": 2, "lines": 4, "missing_ids": 1,
                                            "ids": ["1001", "1002"]})),
    # ---- workbooks and archives
    ("excel-merged-ids-and-dates", {"t.xlsx": MERGED}, {"path": "t.xlsx"}, {},
     ("parsed", {"amount": 78.0, "customers": 3, "lines": 12, "ids": ["A", "B", "C"],
                 "notes": {"customer_id": "merged cells filled", "order_ts": "merged cells filled"}})),
    # a workbook stores numbers as doubles (openpyxl writes 1.234567890123457e+17, as Excel would): rounded ids
    ("excel-long-ids-are-rounded", {"t.xlsx": workbook(("Sheet1", [HEAD, [123456789012345678, "2024-01-01", 1],
                                                                    [None, "2024-01-02", 2],
                                                                    [123456789012345679, "2024-01-03", 4]]))},
     {"path": "t.xlsx"}, {}, ("error", SourceError, ["floating-point", "2 of 2 of them cannot be exact",
                                                     "'123456789012345696'", "export the ids as text"])),
    ("excel-formulas-not-calculated", {"t.xlsx": workbook(("Sales", SALES), formulas=FORMULAS)},
     {"path": "t.xlsx"}, {}, ("error", SourceError, ["sheet 'Sales' has 2 formula cells without a saved value",
                                                     "column C 'amount': 2 cells", "the first is C2",
                                                     "open the workbook in Excel or WPS and save it", "CSV"])),
    ("excel-formulas-calculated", {"t.xlsx": calculated(workbook(("Sales", SALES), formulas=FORMULAS), "2", "4")},
     {"path": "t.xlsx"}, {}, ("parsed", {"amount": 6.0, "customers": 2, "lines": 2})),
    ("excel-empty-first-sheet", {"t.xlsx": workbook(("Sheet1", []), ("Orders", [HEAD, ["A", "2024-01-01", 1]]))},
     {"path": "t.xlsx"}, {}, ("error", SourceError, ["sheet 'Sheet1' is empty", "'Orders' (2 rows)",
                                                     "sources.transactions.sheet", "sheet: 'Orders'"])),
    ("excel-cover-page", {"t.xlsx": workbook(("封面", [["销售报表 2024"], ["导出日期", "2025-01-02"]]),
                                             ("Orders", [["exported by the shop"], HEAD, ["A", "2024-01-01", 1]]))},
     {"path": "t.xlsx"}, {}, ("error", SourceError, ["sheet 0 has no columns", "sheet 'Orders' has them",
                                                     "'封面' (2 rows), 'Orders' (3 rows)",
                                                     "sources.transactions.sheet: 'Orders' and sources.transactions"
                                                     ".skip_rows: 1"])),
    ("excel-second-sheet-chosen", {"t.xlsx": workbook(("封面", [["销售报表"]]), ("Orders", SALES))},
     {"path": "t.xlsx", "sheet": "Orders"}, {}, ("parsed", {"amount": 3.0, "customers": 2, "lines": 2})),
    ("html-saved-as-xls", {"t.xls": HTML_XLS}, {"path": "t.xls"}, {},
     ("parsed", {"amount": 1249.0, "customers": 3, "lines": 4, "ids": ["张三", "李四", "王五"],
                 "notes": {"customer_id": "the file is a web page: read the HTML table (the largest of 2)"}})),
    ("html-named-csv", {"t.csv": HTML_XLS}, {}, {}, ("error", SourceError, ["this is a web page (an HTML table",
                                                                           "sources.transactions.kind: excel"])),
    ("old-binary-xls", {"t.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100}, {"path": "t.xls"}, {},
     ("error", SourceError, ["an old Excel workbook (.xls", "save it as .xlsx"])),
    ("zipped-csv", {"t.zip": zipped(**{"orders.csv": lines(("A", "2024-01-01", "1"), ("B", "2024-01-02", "2")),
                                       "__MACOSX__._orders.csv": "junk", "readme__": ""})}, {"path": "t.zip"}, {},
     ("parsed", {"amount": 3.0, "customers": 2, "lines": 2,
                 "notes": {"customer_id": "read from 'orders.csv' inside the zip archive"}})),
    ("zipped-workbook", {"t.zip": zipped(**{"export__t.xlsx": MERGED})}, {"path": "t.zip"}, {},
     ("parsed", {"amount": 78.0, "customers": 3, "lines": 12})),
    ("zip-of-two-files", {"t.zip": zipped(**{"a.csv": H, "b.csv": H})}, {"path": "t.zip"}, {},
     ("error", SourceError, ["the zip archive holds 2 files ['a.csv', 'b.csv']", "sources.transactions.member",
                             "member: 'a.csv'"])),
    ("zip-member-chosen", {"t.zip": zipped(**{"a.csv": H, "b.csv": lines(("A", "2024-01-01", "5"))})},
     {"path": "t.zip", "member": "b.csv"}, {}, ("parsed", {"amount": 5.0, "customers": 1, "lines": 1})),
    ("zip-member-missing", {"t.zip": zipped(**{"a.csv": H})}, {"path": "t.zip", "member": "c.csv"}, {},
     ("error", SourceError, ["the zip archive has no file 'c.csv'; it holds ['a.csv']"])),
]


@pytest.mark.parametrize("files, source, more, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_messy_export(tmp_path, files, source, more, expected):
    check(tmp_path, files, source, more, expected)
