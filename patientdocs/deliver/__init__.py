"""Getting documents to people: files, the print run, email, encryption."""
