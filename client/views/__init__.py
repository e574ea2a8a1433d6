"""Thin Flet views: each binds one view-model to controls and holds no rules.

``child/`` is child mode; ``parent/`` is the separate route group for parent mode (its screens
arrive with the parent-mode issue and use the same shell, widgets and catalogs).
"""
