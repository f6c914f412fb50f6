"""The encrypted practice history: its store, the session recorder and the HTML report."""
