"""The ``monitor`` command line: a thin shell over the package's services."""
