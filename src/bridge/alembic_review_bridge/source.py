"""Reading the project's files the way Python and Alembic read them.

Python source: the encoding of a PEP 263 coding line (or a UTF-8 BOM), else
UTF-8. alembic.ini: the locale's encoding (configparser with "locale"; UTF-8
in the bridge's environment). Bytes those cannot decode, and NUL bytes (which
Python refuses in source), are a project error naming the file and the byte.
"""

from __future__ import annotations

import codecs
import io
import locale
import os
import tokenize

from .protocol import BridgeError


def _describe_decode_error(path, data, encoding, error, advice):
    return "%s is not valid %s: the byte 0x%02x at byte offset %d cannot be decoded. %s" % (
        path,
        codecs.lookup(encoding).name,
        data[error.start],
        error.start,
        advice,
    )


_PYTHON_ADVICE = "Save it as UTF-8, or declare its encoding on its first or second line (# -*- coding: latin-1 -*-)"
_INI_ADVICE = "Save it as UTF-8 (configparser reads it in the locale's encoding, %s)"


def _refuse_nul(path, data, kind):
    offset = data.find(b"\0")
    if offset != -1:
        raise BridgeError(
            kind,
            "%s contains a NUL byte at byte offset %d, which Python and Alembic cannot read" % (path, offset),
            file=path,
        )


def read_python_source(path, kind="graph"):
    """The text of a Python file as the interpreter decodes it."""
    with open(path, "rb") as handle:
        data = handle.read()
    _refuse_nul(path, data, kind)
    try:
        encoding, _lines = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:
        # An unknown or wrong coding line; or (no coding line) its first lines are not UTF-8,
        # which the decoding below points at.
        if "invalid or missing encoding declaration" not in str(error):
            raise BridgeError(kind, "%s: %s" % (path, error), file=path)
        encoding = "utf-8"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise BridgeError(kind, _describe_decode_error(path, data, encoding, error, _PYTHON_ADVICE), file=path)


def check_ini_file(path):
    """alembic.ini decodes as configparser will read it."""
    if not path or not os.path.isfile(path):
        return
    with open(path, "rb") as handle:
        data = handle.read()
    _refuse_nul(path, data, "project")
    encoding = locale.getpreferredencoding(False)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        advice = _INI_ADVICE % codecs.lookup(encoding).name
        raise BridgeError("project", _describe_decode_error(path, data, encoding, error, advice), file=path)
    # As Alembic's ConfigParser reads it (strict: an option twice in a section is an error).
    import configparser

    try:
        configparser.ConfigParser().read_string(text, source=path)
    except configparser.Error as error:
        raise BridgeError("project", "%s is not a valid ini file: %s" % (path, " ".join(str(error).split())), file=path)


def check_version_locations(locations, recursive):
    """Every .py file Alembic will import from the version locations decodes as Python source."""
    for location in locations:
        if not os.path.isdir(location):
            continue
        for directory, subdirs, files in os.walk(location):
            subdirs[:] = sorted(d for d in subdirs if d != "__pycache__") if recursive else []
            for name in sorted(files):
                if name.endswith(".py") and not name.startswith(".#"):
                    read_python_source(os.path.join(directory, name))
