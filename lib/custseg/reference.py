"""Reference data: Chinese cities with province, city tier and the spellings found in real exports."""

from __future__ import annotations

TIERS = ["tier 1", "new tier 1", "tier 2", "tier 3", "tier 4"]

# canonical city -> (province, tier, spelling variants: case, spaces, pinyin, Chinese, historical names)
CITIES: dict[str, tuple[str, str, list[str]]] = {
    "Beijing": ("Beijing", "tier 1", ["beijing", "BEIJING ", "北京", "北京市", "Peking"]),
    "Shanghai": ("Shanghai", "tier 1", ["shanghai", " Shanghai", "上海", "上海市", "Shanghai Shi"]),
    "Guangzhou": ("Guangdong", "tier 1", ["guangzhou", "广州", "Canton"]),
    "Shenzhen": ("Guangdong", "tier 1", ["shenzhen", "深圳", "ShenZhen"]),
    "Chengdu": ("Sichuan", "new tier 1", ["chengdu", "成都", "CHENGDU"]),
    "Hangzhou": ("Zhejiang", "new tier 1", ["hangzhou", "杭州", "Hang Zhou"]),
    "Wuhan": ("Hubei", "new tier 1", ["wuhan", "武汉"]),
    "Nanjing": ("Jiangsu", "new tier 1", ["nanjing", "南京", "Nanking"]),
    "Xi'an": ("Shaanxi", "new tier 1", ["Xian", "xi'an", "西安"]),
    "Kunming": ("Yunnan", "tier 2", ["kunming", "昆明"]),
    "Xiamen": ("Fujian", "tier 2", ["xiamen", "厦门", "Amoy"]),
    "Jinan": ("Shandong", "tier 2", ["jinan", "济南"]),
    "Harbin": ("Heilongjiang", "tier 2", ["harbin", "哈尔滨"]),
    "Luoyang": ("Henan", "tier 3", ["luoyang", "洛阳"]),
    "Guilin": ("Guangxi", "tier 3", ["guilin", "桂林"]),
    "Yangzhou": ("Jiangsu", "tier 3", ["yangzhou", "扬州"]),
    "Mianyang": ("Sichuan", "tier 3", ["mianyang", "绵阳"]),
    "Zhaotong": ("Yunnan", "tier 4", ["zhaotong", "昭通"]),
    "Tianshui": ("Gansu", "tier 4", ["tianshui", "天水"]),
    "Anshun": ("Guizhou", "tier 4", ["anshun", "安顺"]),
}


def city_key(name: str) -> str:
    """The matching key of a city spelling: lower case, no spaces, apostrophes or 市/shi suffix."""
    key = "".join(name.split()).lower().replace("'", "")
    for suffix in ("市", "shi"):
        if key.endswith(suffix) and len(key) > len(suffix) + 1:
            key = key[: -len(suffix)]
    return key


def city_aliases() -> dict[str, str]:
    """Map every known spelling key (see :func:`city_key`) to its canonical city name."""
    aliases = {}
    for city, (_, _, variants) in CITIES.items():
        for spelling in [city, *variants]:
            aliases[city_key(spelling)] = city
    return aliases

# province -> the seven traditional regions of mainland China (华北 North, 东北 Northeast, 华东 East,
# 华中 Central, 华南 South, 西南 Southwest, 西北 Northwest)
REGIONS: dict[str, str] = {
    **dict.fromkeys(["Beijing", "Tianjin", "Hebei", "Shanxi", "Inner Mongolia"], "North"),
    **dict.fromkeys(["Liaoning", "Jilin", "Heilongjiang"], "Northeast"),
    **dict.fromkeys(["Shanghai", "Jiangsu", "Zhejiang", "Anhui", "Fujian", "Jiangxi", "Shandong"], "East"),
    **dict.fromkeys(["Henan", "Hubei", "Hunan"], "Central"),
    **dict.fromkeys(["Guangdong", "Guangxi", "Hainan", "Hong Kong", "Macau"], "South"),
    **dict.fromkeys(["Chongqing", "Sichuan", "Guizhou", "Yunnan", "Tibet"], "Southwest"),
    **dict.fromkeys(["Shaanxi", "Gansu", "Qinghai", "Ningxia", "Xinjiang"], "Northwest"),
}
