"""Home: one big profit number, total value, cash, convertible profit and the value chart."""

from __future__ import annotations

import flet as ft

from client.i18n import Translator
from client.viewmodels.home import HomeVM
from client.viewmodels.leaderboard import BoardRow, LeaderboardModel
from client.viewmodels.missions import MissionRow

from ..host import Host
from ..screen import ChildScreenView
from ..widgets import PROFIT, card, muted, tid
from .charts import value_card


class HomeView(ChildScreenView):
    route = "/child"
    tab = 0

    vm: HomeVM

    def __init__(self, host: Host, vm: HomeVM) -> None:
        super().__init__(host, vm)

    def title(self) -> str:
        return self.vm.greeting

    def mounted(self) -> None:
        self.host.run_task(self.vm.load_chart)
        self.host.run_task(self.vm.load_board)
        self.host.run_task(self.vm.load_missions)

    def controls(self) -> list[ft.Control]:
        vm, tr = self.vm, self.tr
        if vm.missions_stale:  # synced since the list came: the server may have completed one
            vm.missions_stale = False
            self.host.run_task(vm.load_missions)
        return [
            card(
                muted(tr("home.profit")),
                tid(
                    "home-profit",
                    ft.Text(vm.profit, size=40, weight=ft.FontWeight.BOLD, color=PROFIT[vm.profit_tone]),
                    label=tr("home.profit"),
                ),  # fmt: skip
                ft.Text(vm.profit_pct, size=20, color=PROFIT[vm.profit_tone]),
            ),
            # right under the headline: a goal from a parent is what a child opens the app to check
            *([missions_card(list(vm.mission_rows), tr)] if vm.mission_rows else []),
            card(
                tid("home-total-label", muted(tr("home.total_value"), size=18)),
                tid("home-total", ft.Text(vm.total_value, size=28, weight=ft.FontWeight.BOLD)),
                tid("home-prices-old", muted(vm.prices_note)) if vm.prices_note else ft.Container(),
                muted(tr("home.cash")),
                tid("home-cash", ft.Text(vm.cash, size=20)),
                muted(tr("home.convertible")),
                tid("home-convertible", ft.Text(vm.convertible, size=20)),
            ),
            value_card(vm, tr, "home", self.host),
            *([board_card(vm.board, tr)] if vm.board.enabled else []),
        ]


def mission_line(row: MissionRow, key: str) -> list[ft.Control]:
    """One mission: its words, a bar and "2/3 업종", the reward and where it stands (both sides)."""
    weight = ft.FontWeight.BOLD if row.tone == "open" else ft.FontWeight.NORMAL
    # done in the theme's colour: red or blue would read as a price going up or down
    color = {"done": ft.Colors.PRIMARY, "cancelled": ft.Colors.ON_SURFACE_VARIANT}.get(row.tone)
    return [
        tid(f"{key}-title", ft.Text(row.title, size=17, weight=weight)),
        tid(f"{key}-bar", ft.ProgressBar(value=row.fraction), label=row.progress),
        ft.Row(
            [
                tid(f"{key}-progress", ft.Text(row.progress, size=15)),
                tid(f"{key}-status", ft.Text(row.status, size=15, color=color)),
            ],
            wrap=True,
        ),
        tid(f"{key}-reward", muted(row.reward)),
    ]


def missions_card(rows: list[MissionRow], tr: Translator) -> ft.Control:
    """The child's missions from its parents, with how far it is on each."""
    lines: list[ft.Control] = [ft.Text(tr("mission.title"), size=18, weight=ft.FontWeight.BOLD)]
    for i, row in enumerate(rows):
        lines.extend(mission_line(row, f"mission-{i}"))
    return card(*lines, identifier="home-missions")


def board_card(board: LeaderboardModel, tr: Translator) -> ft.Control:
    """The family leaderboard: this week and since the start, ranked by return beyond the market."""

    def table(heading: str, rows: list[BoardRow], key: str) -> list[ft.Control]:
        out: list[ft.Control] = [muted(heading, size=16)]
        for i, row in enumerate(rows):
            weight = ft.FontWeight.BOLD if row.me else ft.FontWeight.NORMAL
            line = ft.Row(
                [
                    ft.Text(row.place, size=16, weight=weight, width=48),
                    ft.Text(row.name, size=16, weight=weight, expand=True),
                    ft.Text(row.score, size=14, weight=weight),
                ],
                wrap=True,
            )
            out.append(tid(f"board-{key}-{i}", line, label=f"{row.place} {row.name}, {row.score}"))
        return out

    return card(
        ft.Text(tr("board.title"), size=18, weight=ft.FontWeight.BOLD),
        *table(tr("board.week"), board.week, "week"),
        *table(tr("board.since_start"), board.since_start, "all"),
        muted(tr("board.explain"), size=12),
        identifier="home-board",
    )
