"""Log sources. Each turns an agent's session logs into UsageEvents and Skipped lines."""
