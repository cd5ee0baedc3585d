"""The YAML a config may be written in: PyYAML's safe subset without implicit dates, duplicate keys or aliases.

* ``2025-10-01`` stays text until validation parses it, so an impossible date (2025-13-01) is an error that
  names its key instead of an exception inside the YAML parser.
* A key set twice in one mapping is refused with both lines: plain YAML keeps the last one silently.
* An alias (``*name``, repeating what ``&name`` marks) is refused: nested aliases let a file of a few hundred
  bytes stand for billions of values (an "alias bomb"), which the later stages would then walk for ever.
"""

from __future__ import annotations

from typing import Any

import yaml


class RefusedYAML(yaml.YAMLError):
    """Valid YAML that a config may not contain; ``line`` is 1-based, ``message`` says what and why."""

    def __init__(self, line: int, message: str):
        super().__init__(f"line {line}: {message}")
        self.line, self.message = line, message


class _Loader(yaml.SafeLoader):
    """The safe loader, refusing aliases while composing and duplicate keys before constructing."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise RefusedYAML(event.start_mark.line + 1,
                              f"the YAML alias *{event.anchor} is not allowed in a config: aliases (&name … *name) "
                              "can make a small file expand into an enormous structure; write the values out")
        return super().compose_node(parent, index)

    def construct_document(self, node):
        self._refuse_duplicates(node, "")
        return super().construct_document(node)

    def _refuse_duplicates(self, node, where: str) -> None:
        """Walk the composed tree (a tree: there are no aliases) and refuse a key set twice in one mapping."""
        if isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._refuse_duplicates(item, f"{where}[{i}]")
            return
        if not isinstance(node, yaml.MappingNode):
            return
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            plain = isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge"
            key = self.construct_object(key_node) if plain else None  # a scalar: cheap, and cached for later
            dotted = f"{where}.{key}" if where else str(key)
            line = key_node.start_mark.line + 1
            if key is not None:
                if key in seen:
                    lines = f"on line {line}" if seen[key] == line else f"on lines {seen[key]} and {line}"
                    raise RefusedYAML(line, f"the key '{dotted}' is set twice ({lines}); YAML would silently keep "
                                            "only the last one: keep one of them")
                seen[key] = line
            self._refuse_duplicates(value_node, dotted)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def parse(text: str) -> Any:
    """The value of a config's YAML text.

    Parameters
    ----------
    text : str
        A YAML document (a config file's text, or the value of a ``key=value`` override).

    Returns
    -------
    Any
        The parsed value; dates stay text.

    Raises
    ------
    RefusedYAML
        A key is set twice in one mapping, or the text uses an alias.
    yaml.YAMLError
        The text is not YAML.
    """
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
