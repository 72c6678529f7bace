"""The bundled demo: a local news web (site.py), its articles, and the demo run."""
