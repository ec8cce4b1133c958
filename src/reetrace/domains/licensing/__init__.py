"""Export control: the control list as data, classification "as of date D", and the No. 61 de minimis test."""

from .classify import Classification, ItemInput, Match, classify, parse_item
from .controllist import ControlList, Rule, RuleStatus
from .deminimis import DeMinimisResult, ReExportInput, deminimis, parse_reexport
from .hs import HsCode, HsCodeError, parse_hs

__all__ = ["Classification", "ControlList", "DeMinimisResult", "HsCode", "HsCodeError", "ItemInput", "Match",
           "ReExportInput", "Rule", "RuleStatus", "classify", "deminimis", "parse_hs", "parse_item",
           "parse_reexport"]
