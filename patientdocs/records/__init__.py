"""The record of every document made and sent, and checking a PDF against it."""
