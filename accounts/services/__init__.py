"""Account operations shared by pages, the API, commands and tasks."""
