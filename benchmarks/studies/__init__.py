"""Studies across image sizes and degradations (cost scaling, robustness)."""
