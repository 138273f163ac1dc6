"""People who use Khumkrong, and what each may do."""
