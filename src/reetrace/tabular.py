"""Rows of an uploaded spreadsheet: CSV (UTF-8 or GB 18030) or the first sheet of an XLSX workbook, as lists of cell
values. Errors name the file; callers check the header and the cells and name rows and columns."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from reetrace.errors import Detail, invalid


def csv_rows(data: bytes, filename: str) -> Iterator[list[Any]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise invalid(f"{filename}: not UTF-8 or GB 18030 text", Detail(str(exc), filename)) from None
    try:
        yield from csv.reader(io.StringIO(text, newline=""), strict=True)
    except csv.Error as exc:
        raise invalid(f"{filename}: not a valid CSV file", Detail(str(exc), filename)) from None


def xlsx_rows(data: bytes, filename: str) -> Iterator[list[Any]]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook  # type: ignore[import-untyped]  # no stubs; openpyxl ships none

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (BadZipFile, OSError, KeyError, ValueError) as exc:
        raise invalid(f"{filename}: not a readable XLSX workbook", Detail(str(exc), filename)) from None
    try:
        sheet = workbook.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield list(values)
    finally:
        workbook.close()
