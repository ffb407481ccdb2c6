"""Builds the clipkit wheel from the repository's CMake project: configures <repo>/build
where it is not configured yet (or $CLIPKIT_BUILD_DIR), builds the _clipkit target there
and packs python/clipkit/*.py with the extension. No network: CMake finds Debian's
packages (scripts/setup installs them)."""

import os
import pathlib
import re
import subprocess
import sys
import sysconfig

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
BUILD = pathlib.Path(os.environ.get("CLIPKIT_BUILD_DIR", REPO / "build")).resolve()


def version():
    text = (REPO / "CMakeLists.txt").read_text()
    return re.search(r"project\(clipkit VERSION ([0-9.]+)", text).group(1)


class BuildWithCMake(build_py):
    def run(self):
        super().run()
        if not (BUILD / "CMakeCache.txt").exists():
            subprocess.check_call(["cmake", "-S", str(REPO), "-B", str(BUILD), "-DCMAKE_BUILD_TYPE=Release",
                                   f"-DPython_EXECUTABLE={sys.executable}"])
        subprocess.check_call(["cmake", "--build", str(BUILD), "--target", "_clipkit", "-j", str(os.cpu_count() or 1)])
        suffix = sysconfig.get_config_var("EXT_SUFFIX")
        built = BUILD / "python" / "clipkit" / f"_clipkit{suffix}"
        if not built.exists():
            found = sorted(p.name for p in (BUILD / "python" / "clipkit").glob("_clipkit*"))
            sys.exit(f"setup.py: {built} was not built (found {found or 'nothing'}): {BUILD} is configured for "
                     f"another Python; configure it with -DPython_EXECUTABLE={sys.executable}")
        target = pathlib.Path(self.build_lib) / "clipkit"
        target.mkdir(parents=True, exist_ok=True)
        self.copy_file(str(built), str(target / built.name))


class BinaryDistribution(Distribution):
    """A wheel for this interpreter and platform: it holds an extension module."""

    def has_ext_modules(self):
        return True


setup(
    version=version(),
    cmdclass={"build_py": BuildWithCMake},
    distclass=BinaryDistribution,
    # setuptools' scratch folders in the CMake build, not in the source tree.
    options={"build": {"build_base": str(BUILD / "python-setuptools")},
             "egg_info": {"egg_base": os.path.relpath(BUILD / "python-setuptools", HERE)}},
)
