"""What setup.cfg promises is what tox.ini tests.

The classifiers name the Pythons of the matrix, python_requires its
oldest, and the environment of lower limits pins each dependency to the
lowest version that install_requires allows on that environment's
Python (other lines there constrain test dependencies only).
"""

import configparser
import os
import re

from packaging.requirements import Requirement
from packaging.version import Version

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')


def _read(name):
    parser = configparser.ConfigParser()
    with open(os.path.join(ROOT, name)) as f:
        parser.read_file(f)
    return parser


def _lines(value):
    lines = (line.strip() for line in value.splitlines())
    return [line for line in lines if line and not line.startswith('#')]


def test_the_classifiers_name_the_pythons_of_the_matrix():
    setup, tox = _read('setup.cfg'), _read('tox.ini')
    classified = re.findall(r'^Programming Language :: Python :: (3\.\d+)$',
                            setup['metadata']['classifiers'], re.M)
    tested = ['3.' + minor for minor in
              re.findall(r'\bpy3(\d+)\b', tox['tox']['envlist'])]
    assert classified == tested
    assert setup['options']['python_requires'] == '>=' + classified[0]


def test_the_lowest_environment_pins_the_lower_limits():
    setup, tox = _read('setup.cfg'), _read('tox.ini')
    section = tox['testenv:lowest']
    python = re.fullmatch(r'python(3\.\d+)', section['basepython'])[1]
    lower = {}
    for line in _lines(setup['options']['install_requires']):
        requirement = Requirement(line)
        if requirement.marker and not requirement.marker.evaluate(
                {'python_version': python}):
            continue
        (specifier,) = [s for s in requirement.specifier
                        if s.operator != '<']
        assert specifier.operator == '>=', line
        lower[requirement.name] = Version(specifier.version)
    pinned = {}
    for line in _lines(section['deps']):
        requirement = Requirement(line)
        if requirement.name in lower:
            (specifier,) = requirement.specifier
            assert specifier.operator == '==', line
            pinned[requirement.name] = Version(specifier.version)
    assert pinned == lower
    assert section['constrain_package_deps'] == 'true'
