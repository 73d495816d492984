"""docs/reference.md is generated from component.xml and kept current."""

import os
import re

from zeoconf import reference

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _read(*parts):
    with open(os.path.join(ROOT, *parts)) as f:
        return f.read()


def test_reference_is_up_to_date():
    assert _read('docs', 'reference.md') == reference.render(), (
        'docs/reference.md is stale: run `make docs`')


def test_every_key_of_the_schema_is_documented():
    text = reference.render()
    names = re.findall(r'<(?:multi)?key name="([^"]+)"',
                       _read('zeoconf', 'component.xml'))
    assert len(names) > 25
    for name in names:
        assert f'| `{name}` |' in text, name


def test_every_key_has_a_type_and_a_description():
    rows = [line for line in reference.render().splitlines()
            if line.startswith('| `')]
    for row in rows:
        key, kind, default, description = row.strip('|').split(' | ')
        assert kind.strip() and description.strip(), row
        assert kind.strip() != 'text' or key.strip('` ') in (
            'storage', 'name', 'client-label', 'client',
            'max-disconnect-poll', 'drop-cache-rather-verify', 'username',
            'realm'), row
