"""Scrapy item pipelines: thin adapters over the plain processing functions."""

from monitor.pipelines.store import StorePipeline

__all__ = ["StorePipeline"]
