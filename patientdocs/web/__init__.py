"""The front desk's page: a local web page over exactly the use cases the command line calls.

Flask, Flask-WTF (CSRF) and argon2-cffi are imported only here, by ``generate.py serve`` and
``generate.py users``: every other command starts without them.
"""
