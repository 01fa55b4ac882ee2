# Files the system reads from fixed places, and shell completion.  Included
# by the top-level Makefile.am.  The directories come from configure
# (--with-udevrulesdir, --with-modprobedir, --with-bashcompletiondir).

# /dev/p2pbuf: group p2pbuf, mode 0660 (p2pbuf(4), "Device node").
udevrules_DATA = data/60-p2pbuf.rules
# Every module parameter, commented out with its default.
modprobe_DATA = data/p2pbuf.conf
# p2pctl completion, installed under the command's name as bash-completion
# wants it.
bashcompletion_DATA = data/p2pctl
CLEANFILES += data/p2pctl
data/p2pctl: data/p2pctl.bash
	$(AM_V_GEN)$(MKDIR_P) data && cp $(srcdir)/data/p2pctl.bash $@

EXTRA_DIST += data/60-p2pbuf.rules data/p2pbuf.conf data/p2pctl.bash

# The group of the udev rule: created by a real install as root into a
# directory udev reads (not by make distcheck's, whose rules directory is
# below its prefix; a package creates it in its postinst); make uninstall
# leaves it, since files may still belong to it (groupdel p2pbuf removes it).
install-data-hook:
	@case "$(udevrulesdir)" in \
	/lib/udev/rules.d | /usr/lib/udev/rules.d | /etc/udev/rules.d) ;; \
	*) exit 0 ;; \
	esac; \
	if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && \
	    ! getent group p2pbuf >/dev/null; then \
		echo "groupadd --system p2pbuf"; groupadd --system p2pbuf; \
	fi
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then \
		echo "ldconfig"; ldconfig; \
	fi

# The example application, built out of tree against the installed library
# (examples/Makefile uses pkg-config only).
exampledir = $(docdir)/examples
dist_example_DATA = examples/p2pbuf-example.c examples/Makefile
