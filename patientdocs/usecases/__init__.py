"""What the clinic does with the tool, as plain calls: the CLI and the web page share exactly these.

Plain values in, results out: no Click, no printing, no exit. A problem the user can fix is a
PatientDocsError whose message is what they read (``field`` names the input it is about). Each
use case takes the loaded Config first (patientdocs.load.config.load_config) and ``user``, who
did it (kept once the records have a column for it).
"""
