# libp2pbuf: the userspace library.  Included by the top-level Makefile.am;
# paths are relative to the top of the tree.

lib_LTLIBRARIES += libp2pbuf/libp2pbuf.la

libp2pbuf_libp2pbuf_la_SOURCES = \
	libp2pbuf/libp2pbuf.c \
	libp2pbuf/netlink.c \
	libp2pbuf/monitor.c \
	libp2pbuf/sgl.c \
	libp2pbuf/libp2pbuf-private.h
# Only functions marked P2PBUF_EXPORT (libp2pbuf-private.h) and listed in
# libp2pbuf.sym are visible.
libp2pbuf_libp2pbuf_la_CFLAGS = $(AM_CFLAGS) $(LIBNL_CFLAGS) -fvisibility=hidden
# The control plane (netlink.c) speaks generic netlink through libnl-genl-3.
# Programs linked with -all-static need $(LIBNL_STATIC_LIBS) themselves.
libp2pbuf_libp2pbuf_la_LIBADD = $(LIBNL_LIBS)
libp2pbuf_libp2pbuf_la_LDFLAGS = $(AM_LDFLAGS) \
	-version-info $(LIBP2PBUF_LT_VERSION) \
	-no-undefined \
	-Wl,--version-script=$(top_srcdir)/libp2pbuf/libp2pbuf.sym
EXTRA_libp2pbuf_libp2pbuf_la_DEPENDENCIES = libp2pbuf/libp2pbuf.sym

include_HEADERS = include/libp2pbuf.h

# The uAPI header is installed as <linux/p2pbuf.h>.
p2pbuf_uapidir = $(includedir)/linux
p2pbuf_uapi_HEADERS = include/uapi/linux/p2pbuf.h

# pkgconfigdir comes from PKG_INSTALLDIR in configure.ac.
pkgconfig_DATA = libp2pbuf/libp2pbuf.pc

EXTRA_DIST += libp2pbuf/libp2pbuf.sym
