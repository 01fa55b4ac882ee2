dnl Build-target selection and small userspace helpers.

dnl P2PBUF_CONFIG_TARGET: --with-config=kernel|user|all (default all).
dnl A DKMS build uses --with-config=kernel and needs no userspace libraries.
AC_DEFUN([P2PBUF_CONFIG_TARGET], [
	AC_ARG_WITH([config],
		[AS_HELP_STRING([--with-config=CONFIG],
			[what to build: kernel, user or all @<:@default=all@:>@])],
		[P2PBUF_CONFIG="$withval"], [P2PBUF_CONFIG=all])
	AS_CASE([$P2PBUF_CONFIG],
		[kernel], [P2PBUF_CONFIG_KERNEL=yes; P2PBUF_CONFIG_USER=no],
		[user], [P2PBUF_CONFIG_KERNEL=no; P2PBUF_CONFIG_USER=yes],
		[all], [P2PBUF_CONFIG_KERNEL=yes; P2PBUF_CONFIG_USER=yes],
		[AC_MSG_ERROR([--with-config=$P2PBUF_CONFIG: must be kernel, user or all])])
	AC_SUBST([P2PBUF_CONFIG])
	AM_CONDITIONAL([CONFIG_KERNEL], [test "x$P2PBUF_CONFIG_KERNEL" = xyes])
	AM_CONDITIONAL([CONFIG_USER], [test "x$P2PBUF_CONFIG_USER" = xyes])
])

dnl P2PBUF_PKG_STATIC_LIBS(VARIABLE, MODULE): libraries for a fully static
dnl link (the VM tier's guest programs).
AC_DEFUN([P2PBUF_PKG_STATIC_LIBS], [
	AC_MSG_CHECKING([static link flags for $2])
	$1=`$PKG_CONFIG --static --libs "$2" 2>/dev/null` ||
		AC_MSG_ERROR([pkg-config --static --libs $2 failed])
	AC_MSG_RESULT([$$1])
	AC_SUBST([$1])
])
