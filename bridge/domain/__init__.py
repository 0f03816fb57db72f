"""Pure swap logic: states, transitions, instruction signatures. No web, chain or SQL imports."""
