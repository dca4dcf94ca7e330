"""The README's tfart-dream commands run, your own network's included (see tests/test_readme.py)."""
import pytest
from test_readme import run_commands, shell_commands


@pytest.mark.slow
def test_readme_dream_commands_run(tmp_path, zygote):
    commands = shell_commands(section=True)
    assert any("--backbone out/own/digits.keras" in c for c in commands) and commands[0].startswith("tfart-dream")
    run_commands(commands, tmp_path, zygote)
    assert (tmp_path / "out" / "dream" / "scales_fourier_cppn.png").exists()
    assert (tmp_path / "out" / "dream" / "scales_cppn_big_x4.png").exists()
    assert (tmp_path / "out" / "dream" / "morph_cppn.gif").exists() and (tmp_path / "out" / "dream" / "groups.png").exists()
    assert (tmp_path / "out" / "own" / "groups.png").exists() and (tmp_path / "out" / "own" / "morph.gif").exists()
    assert (tmp_path / "out" / "own" / "style.png").exists()
