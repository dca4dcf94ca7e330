"""The command-line front ends (installed as tfart-art, tfart-render, tfart-style; scripts/ runs them too)."""
