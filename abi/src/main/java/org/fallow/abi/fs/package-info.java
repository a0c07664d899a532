/** Safe file creation for every Fallow process: 0700 run directories, 0600 files, no symbolic links followed (docs/SECURITY.md). */
package org.fallow.abi.fs;
