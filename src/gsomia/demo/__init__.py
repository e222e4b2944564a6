"""The main job: three nodes replay the 2016-2023 timeline."""
