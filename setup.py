"""Which packages the wheel holds; everything else is in pyproject.toml.

The repository keeps ``spiders/`` and ``migrations/`` at the top level (Scrapy's and Alembic's
usual layout), but an installed wheel must not put such generic names into site-packages: they
are shipped as ``monitor.spiders`` and ``monitor._migrations``. Editable installs map the same
names onto the top-level folders, so one import name works in a checkout and in a wheel.
"""

from setuptools import find_packages, setup

setup(
    packages=[
        *find_packages(include=["monitor", "monitor.*"]),
        "monitor.spiders",
        "monitor._migrations",
    ],
    package_dir={"monitor.spiders": "spiders", "monitor._migrations": "migrations"},
)
