# p2pctl: the command-line tool.  Included by the top-level Makefile.am.

# Everything but main(), also linked into the tests that drive p2pctl
# (tests/local.mk): the dispatcher (cli), one file per noun, what they
# share (util) and the print layer.
p2pctl_cli_sources = \
	utils/p2pctl-cli.c \
	utils/p2pctl-cli.h \
	utils/p2pctl-util.c \
	utils/p2pctl-util.h \
	utils/p2pctl-print.c \
	utils/p2pctl-print.h \
	utils/p2pctl-info.c \
	utils/p2pctl-provider.c \
	utils/p2pctl-buffer.c \
	utils/p2pctl-map.c \
	utils/p2pctl-events.c \
	utils/p2pctl-demo.c \
	utils/p2pctl-pci.c \
	utils/p2pctl-pci.h \
	utils/p2pctl-topo.c \
	utils/p2pctl-doctor.c

bin_PROGRAMS += utils/p2pctl
utils_p2pctl_SOURCES = utils/p2pctl.c $(p2pctl_cli_sources)
utils_p2pctl_LDADD = libp2pbuf/libp2pbuf.la

# The same tool linked statically, for the VM guest (installed as /bin/p2pctl).
check_PROGRAMS += utils/p2pctl-static
utils_p2pctl_static_SOURCES = $(utils_p2pctl_SOURCES)
utils_p2pctl_static_LDADD = $(utils_p2pctl_LDADD) $(LIBNL_STATIC_LIBS)
utils_p2pctl_static_LDFLAGS = $(AM_LDFLAGS) -all-static
