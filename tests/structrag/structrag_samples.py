"""Real-looking document samples shared by the StructRAG parser and structurizer tests."""

from __future__ import annotations

DPKG = """\
Package: libc6
Status: install ok installed
Installed-Size: 12000
Version: 2.36-9
Depends: libgcc-s1
Description: GNU C Library: Shared libraries
 Contains the standard libraries that are used by nearly all programs on
 the system.
 .
 This package includes shared versions of the standard C library.

Package: libgcc-s1
Installed-Size: 140
Version: 12.2.0-14
Depends: gcc-12-base (= 12.2.0-14), libc6 (>= 2.35)
Breaks: libgcc1 (<< 1:12)

Package: coreutils
Installed-Size: 18000
Version: 9.1-1
Pre-Depends: libacl1 (>= 2.2.23), libattr1:any (>= 1:2.4.44), libc6 (>= 2.34)
Recommends: debianutils | busybox
"""

CSV = "package,size_kb,section\nbash,7000,shells\nzsh,5000,shells\ncurl,500,web\n"

MARKDOWN_TABLE = """\
Some intro text.

| Tool | Language | Stars |
|------|:--------:|------:|
| ruff | Rust     | 30000 |
| black | Python  | 38000 |

More text after.
"""

WITH_STATEMENT = """\
The "with" statement
********************

The execution of the "with" statement with one "item" proceeds as
follows:

1. The context expression (the expression given in the "with_item") is
   evaluated to obtain a context manager.

2. The context manager's "__enter__()" is loaded for later use.

3. The context manager's "__exit__()" is loaded for later use.

4. The context manager's "__enter__()" method is invoked.

5. If a target was included in the "with" statement, the return value
   from "__enter__()" is assigned to it.

6. The suite is executed.

7. The context manager's "__exit__()" method is invoked.

Note the following:

1. a sentence that is not part of the procedure.
"""

RST = """\
=========
User Guide
=========

This guide explains the tool. It has sections.

Installation
============

Install the package with pip.

From source
-----------

Clone the repository first. Then build.

Configuration
=============

Settings live in a TOML file.

Advanced options
----------------

Rarely needed.

Tuning
~~~~~~

Change the cache size here.
"""

MARKDOWN = """\
Preface text before any heading.

# Networking

How hosts talk.

## DNS

DNS maps names to addresses. It is hierarchical.

### Resolvers

A resolver asks servers.

```bash
# not a heading
dig example.org
```

## DHCP

DHCP hands out addresses.
"""
