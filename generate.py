#!/usr/bin/env python3
"""Entry point: ``python generate.py --help``."""

from patientdocs.cli import main

if __name__ == "__main__":
    main()
