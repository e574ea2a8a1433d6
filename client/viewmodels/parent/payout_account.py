"""The parent's payout account for Toss transfers, as a form: the bank, the account number, the holder.

Checked here with the server's own rules (``server/payment/controllers.py`` ``AccountBody``), so a
mistake is explained next to its field before anything is sent. The server stores the number
AES-256-GCM encrypted and only ever answers it masked; the form forgets it once it was sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["BANKS", "AccountForm"]

# the banks' standard three-digit codes (KFTC), which Toss transfers name the destination bank by
BANKS = (
    "004",  # KB국민
    "088",  # 신한
    "020",  # 우리
    "081",  # 하나
    "011",  # NH농협
    "003",  # IBK기업
    "090",  # 카카오뱅크
    "092",  # 토스뱅크
    "089",  # 케이뱅크
    "023",  # SC제일
    "071",  # 우체국
    "045",  # 새마을금고
    "032",  # 부산
    "031",  # 대구(iM)
)
_NUMBER = re.compile(r"^[0-9][0-9-]{5,30}[0-9]$")


@dataclass
class AccountForm:
    bank: str = ""
    number: str = ""
    holder: str = ""

    def problems(self) -> dict[str, str]:
        """Field → the catalog key of what is wrong with it (empty when the form can be sent)."""
        found = {}
        if self.bank not in BANKS:
            found["bank"] = "parent.account.bank_needed"
        if not _NUMBER.match(self.number.strip()):
            found["number"] = "parent.account.number_format"
        if not 1 <= len(self.holder.strip()) <= 60:
            found["holder"] = "parent.account.holder_needed"
        return found

    def clear(self) -> None:
        self.bank, self.number, self.holder = "", "", ""
