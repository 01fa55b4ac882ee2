# p2pctl: the command-line tool.  Included by the top-level Makefile.am.

bin_PROGRAMS += utils/p2pctl
utils_p2pctl_SOURCES = \
	utils/p2pctl.c \
	utils/p2pctl-cli.c \
	utils/p2pctl-cli.h \
	utils/p2pctl-demo.c \
	utils/p2pctl-events.c
utils_p2pctl_LDADD = libp2pbuf/libp2pbuf.la

# The same tool linked statically, for the VM guest (installed as /bin/p2pctl).
check_PROGRAMS += utils/p2pctl-static
utils_p2pctl_static_SOURCES = $(utils_p2pctl_SOURCES)
utils_p2pctl_static_LDADD = $(utils_p2pctl_LDADD) $(LIBNL_STATIC_LIBS)
utils_p2pctl_static_LDFLAGS = $(AM_LDFLAGS) -all-static
