"""The small rules behind the app's behaviour for people: a date range across a board
switch, an empty selection's CSV, which inputs a link holds, a link's grid sorting."""

from __future__ import annotations

import csv
import datetime as dt
import io

from llmtrends.views import inputs, provenance
from llmtrends.views import compare, explorer, type_popularity
from modules import links

D = dt.date


def test_a_range_picked_on_one_board_is_kept_where_the_other_has_it():
    v2_default, v1_bounds = (D(2022, 4, 7), D(2025, 3, 13)), (D(2022, 4, 7), D(2024, 4, 15))
    # inside both boards: kept as it is
    assert inputs.carried_range((D(2023, 6, 1), D(2023, 12, 31)), v2_default, v1_bounds, v1_bounds) == \
        (D(2023, 6, 1), D(2023, 12, 31))
    # reaching past v1's last day: v1's part of it
    assert inputs.carried_range((D(2023, 6, 1), D(2024, 12, 31)), v2_default, v1_bounds, v1_bounds) == \
        (D(2023, 6, 1), D(2024, 4, 15))
    # after v1 altogether: v1's own range
    assert inputs.carried_range((D(2024, 6, 1), D(2024, 12, 31)), v2_default, v1_bounds, v1_bounds) == v1_bounds
    # nobody picked it (v2's whole range): v1's whole range, not v2's clamped
    assert inputs.carried_range(v2_default, v2_default, v1_bounds, (D(2023, 1, 1), D(2024, 4, 15))) == \
        (D(2023, 1, 1), D(2024, 4, 15))


def test_an_empty_selection_downloads_the_header_alone():
    rows = list(csv.reader(io.StringIO(provenance.csv_header(type_popularity, "v1"))))
    assert rows == [["period", "type", "new_models", "period_total", "share", "partial"]]
    assert list(csv.reader(io.StringIO(provenance.csv_header(compare, "v2"))))[0][-1] == "difference"
    # the explorer's columns depend on the board (its benchmarks)
    v1 = list(csv.reader(io.StringIO(provenance.csv_header(explorer, "v1"))))
    assert v1 == [explorer.csv_columns("v1")] and "arc" in v1[0] and "ifeval" not in v1[0]


def test_a_link_holds_the_tab_the_board_and_the_tabs_own_controls():
    names = ["tab", "board", ".clientdata_url_search", "llmtrends_state", "llmtests_ping",
             "moe-dates", "moe-sizes", "moe-controls_board", "moe-figure_format",
             "type_popularity-dates", "explorer-grid_column_filter", "explorer-grid_column_sort",
             "explorer-grid_cell_selection", "explorer-grid_data_view_rows", "explorer-grid_data_view_indices",
             "explorer-grid_sort", "explorer-grid_filter", "explorer-grid_selected_rows", "explorer-moe"]
    assert links.link_inputs(names, "moe") == ["tab", "board", "moe-dates", "moe-sizes", "moe-figure_format"]
    assert links.link_inputs(names, "explorer") == ["tab", "board", "explorer-grid_column_filter",
                                                     "explorer-grid_column_sort", "explorer-moe"]


def test_a_links_grid_sorting_is_checked():
    likes = explorer.grid_columns("v2").index("Likes")
    assert explorer.grid_sort([{"col": likes, "desc": True}], "v2") == [{"col": likes, "desc": True}]
    forged = [{"col": 99, "desc": True}, {"col": -1, "desc": False}, {"col": "3", "desc": True},
              {"col": 2, "desc": "yes"}, {"col": True, "desc": True}, "x", {"col": 4, "desc": False},
              {"col": 4, "desc": True}]
    assert explorer.grid_sort(forged, "v2") == [{"col": 4, "desc": False}]  # each column once, the first
    assert explorer.grid_sort("col 3", "v2") == [] and explorer.grid_sort(None, "v1") == []
