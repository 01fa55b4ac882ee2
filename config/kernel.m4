dnl Kernel build tree discovery and configure-time kernel API probes.
dnl
dnl The probe machinery follows OpenZFS and Lustre: every probed API has a
dnl config/kernel-*.m4 file defining P2PBUF_KERNEL_SRC_<NAME> (writes a
dnl tiny test module with P2PBUF_LINUX_TEST_SRC) and P2PBUF_KERNEL_<NAME>
dnl (reads the result with P2PBUF_LINUX_TEST_RESULT).  All test modules are
dnl compiled in one parallel Kbuild run; a test "passes" when its object file
dnl was produced.  Results become HAVE_* defines in p2pbuf_kconfig.h, a
dnl kernel-only header that kernel/Kbuild force-includes.  kernel/
dnl p2pbuf_compat.h turns them into p2pbuf_-prefixed wrappers.

dnl P2PBUF_LINUX: locate the kernel source and object trees.
AC_DEFUN([P2PBUF_LINUX], [
	AC_ARG_WITH([linux],
		[AS_HELP_STRING([--with-linux=DIR], [kernel source tree])],
		[kernelsrc="$withval"])
	AC_ARG_WITH([linux-obj],
		[AS_HELP_STRING([--with-linux-obj=DIR], [kernel build (object) tree])],
		[kernelbuild="$withval"])

	AC_MSG_CHECKING([kernel build tree])
	AS_IF([test -z "$kernelbuild" && test -n "$kernelsrc"], [
		kernelbuild="$kernelsrc"
	])
	AS_IF([test -z "$kernelbuild"], [
		running=`uname -r`
		AS_IF([test -d "/lib/modules/$running/build"], [
			kernelbuild="/lib/modules/$running/build"
			kernelwhy="running kernel"
		], [
			dnl The running kernel has no build tree (a container or
			dnl a build machine): take the newest installed one.
			newest=`ls -d /lib/modules/*/build 2>/dev/null |
				sed 's|^/lib/modules/||; s|/build$||' | sort -V | tail -n 1`
			AS_IF([test -n "$newest"], [
				kernelbuild="/lib/modules/$newest/build"
				kernelwhy="newest installed; the running kernel $running has no build tree"
			])
		])
	], [
		kernelwhy="given"
	])
	AS_IF([test -z "$kernelbuild" || test ! -f "$kernelbuild/Makefile"], [
		AC_MSG_RESULT([not found])
		AC_MSG_ERROR([
	*** No kernel build tree found${kernelbuild:+ at $kernelbuild}.
	*** Install the headers of the kernel to build for
	*** (Debian: apt-get install linux-headers-amd64, or
	*** linux-headers-\$(uname -r)), or pass --with-linux-obj=DIR.])
	])
	kernelbuild=`cd "$kernelbuild" && pwd -P`
	AC_MSG_RESULT([$kernelbuild ($kernelwhy)])

	AC_MSG_CHECKING([kernel source tree])
	AS_IF([test -z "$kernelsrc"], [
		dnl Upstream O= trees link "source"; Debian's headers
		dnl packages have a Makefile that includes the -common tree.
		debsrc=`sed -n 's|^include \(/.*\)/Makefile$|\1|p' \
			"$kernelbuild/Makefile" | head -n 1`
		AS_IF([test -e "$kernelbuild/source"],
			[kernelsrc=`cd "$kernelbuild/source" && pwd -P`],
			[test -n "$debsrc" && test -d "$debsrc"],
			[kernelsrc="$debsrc"],
			[kernelsrc="$kernelbuild"])
	])
	AS_IF([test ! -f "$kernelsrc/include/linux/module.h"], [
		AC_MSG_RESULT([not found])
		AC_MSG_ERROR([*** $kernelsrc is not a kernel source tree (no include/linux/module.h)])
	])
	AC_MSG_RESULT([$kernelsrc])

	AC_MSG_CHECKING([kernel release])
	AS_IF([test -f "$kernelbuild/include/config/kernel.release"], [
		kernelrel=`cat "$kernelbuild/include/config/kernel.release"`
	], [
		AC_MSG_RESULT([unknown])
		AC_MSG_ERROR([
	*** $kernelbuild is not prepared (no include/config/kernel.release):
	*** run 'make modules_prepare' there, or install the linux-headers package.])
	])
	AS_IF([test ! -f "$kernelbuild/.config"], [
		AC_MSG_ERROR([*** $kernelbuild has no .config])
	])
	AC_MSG_RESULT([$kernelrel])

	LINUX="$kernelsrc"
	LINUX_OBJ="$kernelbuild"
	LINUX_VERSION="$kernelrel"
	AC_SUBST([LINUX])
	AC_SUBST([LINUX_OBJ])
	AC_SUBST([LINUX_VERSION])
])

dnl P2PBUF_LINUX_TEST_SRC(NAME, INCLUDES, BODY): write test module NAME.
dnl BODY is the body of a function that is compiled but never called.
dnl Square brackets cannot appear in INCLUDES or BODY (m4 quoting).
AC_DEFUN([P2PBUF_LINUX_TEST_SRC], [
	mkdir -p "kconftest/$1"
	cat >"kconftest/$1/$1.c" <<_P2PBUF_EOF
/* configure test $1 */
#include <linux/module.h>
$2

void p2pbuf_conftest_$1(void);
void p2pbuf_conftest_$1(void)
{
$3
}

MODULE_LICENSE("GPL");
_P2PBUF_EOF
	echo "obj-m := $1.o" >"kconftest/$1/Kbuild"
	echo "obj-m += $1/" >>kconftest/Kbuild
])

dnl P2PBUF_LINUX_TEST_COMPILE_ALL: build every test module in one Kbuild run.
AC_DEFUN([P2PBUF_LINUX_TEST_COMPILE_ALL], [
	AC_MSG_CHECKING([kernel API probes (one parallel Kbuild run)])
	jobs=`getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1`
	dnl -k: a failing probe must not stop the others.  Failures are
	dnl results here, not errors; the log is kept for reading.
	make -C "$LINUX_OBJ" M="$PWD/kconftest" -k -j"$jobs" \
		KBUILD_MODPOST_WARN=1 modules >kconftest/build.log 2>&1
	AC_MSG_RESULT([done (log: kconftest/build.log)])
	AS_IF([! grep -q 'kconftest' kconftest/build.log], [
		AC_MSG_ERROR([*** the kernel probe build did not run; see kconftest/build.log])
	])
])

dnl P2PBUF_LINUX_TEST_RESULT(NAME, DEFINE, DESCRIPTION): define HAVE_DEFINE
dnl in p2pbuf_kconfig.h when test module NAME compiled.
AC_DEFUN([P2PBUF_LINUX_TEST_RESULT], [
	AC_MSG_CHECKING([$3])
	AS_IF([test -f "kconftest/$1/$1.o"], [
		AC_MSG_RESULT([yes])
		printf '/* %s */\n#define HAVE_%s 1\n\n' "$3" "$2" >>p2pbuf_kconfig.h.tmp
	], [
		AC_MSG_RESULT([no])
		printf '/* %s */\n/* #undef HAVE_%s */\n\n' "$3" "$2" >>p2pbuf_kconfig.h.tmp
	])
])

dnl P2PBUF_LINUX_PROBES: all probes; the list grows one line per API.
AC_DEFUN([P2PBUF_LINUX_PROBES], [
	rm -rf kconftest p2pbuf_kconfig.h.tmp
	mkdir -p kconftest
	: >kconftest/Kbuild

	P2PBUF_KERNEL_SRC_COPY_STRUCT_FROM_USER
	P2PBUF_KERNEL_SRC_COMPAT_PTR_IOCTL
	P2PBUF_KERNEL_SRC_VM_FLAGS_SET
	P2PBUF_KERNEL_SRC_PCI_P2PDMA
	P2PBUF_KERNEL_SRC_P2PDMA_USER_PAGES
	P2PBUF_KERNEL_SRC_GENL_RESV_START_OP
	P2PBUF_KERNEL_SRC_NL_SET_ERR_ATTR_MISS
	P2PBUF_KERNEL_SRC_DRIVER_MANAGED_DMA
	P2PBUF_KERNEL_SRC_HUGE_PFNMAP
	P2PBUF_KERNEL_SRC_HUGE_FAULT_ORDER
	P2PBUF_KERNEL_SRC_VMF_INSERT_PFN_PMD_ULONG
	P2PBUF_KERNEL_SRC_THP_GET_UNMAPPED_AREA
	P2PBUF_KERNEL_SRC_FOLLOW_PFNMAP
	P2PBUF_KERNEL_SRC_FOLLOW_PFNMAP_ADDR_MASK
	P2PBUF_KERNEL_SRC_FOLLOW_PTE_MM
	P2PBUF_KERNEL_SRC_DMA_BUF_INVALIDATE_MAPPINGS
	P2PBUF_KERNEL_SRC_MODULE_IMPORT_NS_TOKEN
	P2PBUF_KERNEL_SRC_DMA_RESV_USAGE
	P2PBUF_KERNEL_SRC_DMA_MAP_PHYS_MMIO

	P2PBUF_LINUX_TEST_COMPILE_ALL

	printf '/* Generated by configure for Linux %s (%s). */\n' \
		"$LINUX_VERSION" "$LINUX_OBJ" >>p2pbuf_kconfig.h.tmp
	printf '#ifndef P2PBUF_KCONFIG_H\n#define P2PBUF_KCONFIG_H\n\n' >>p2pbuf_kconfig.h.tmp

	P2PBUF_KERNEL_COPY_STRUCT_FROM_USER
	P2PBUF_KERNEL_COMPAT_PTR_IOCTL
	P2PBUF_KERNEL_VM_FLAGS_SET
	P2PBUF_KERNEL_PCI_P2PDMA
	P2PBUF_KERNEL_P2PDMA_USER_PAGES
	P2PBUF_KERNEL_GENL_RESV_START_OP
	P2PBUF_KERNEL_NL_SET_ERR_ATTR_MISS
	P2PBUF_KERNEL_DRIVER_MANAGED_DMA
	P2PBUF_KERNEL_HUGE_PFNMAP
	P2PBUF_KERNEL_HUGE_FAULT_ORDER
	P2PBUF_KERNEL_VMF_INSERT_PFN_PMD_ULONG
	P2PBUF_KERNEL_THP_GET_UNMAPPED_AREA
	P2PBUF_KERNEL_FOLLOW_PFNMAP
	P2PBUF_KERNEL_FOLLOW_PFNMAP_ADDR_MASK
	P2PBUF_KERNEL_FOLLOW_PTE_MM
	P2PBUF_KERNEL_DMA_BUF_INVALIDATE_MAPPINGS
	P2PBUF_KERNEL_MODULE_IMPORT_NS_TOKEN
	P2PBUF_KERNEL_DMA_RESV_USAGE
	P2PBUF_KERNEL_DMA_MAP_PHYS_MMIO

	printf '#endif /* P2PBUF_KCONFIG_H */\n' >>p2pbuf_kconfig.h.tmp
	mv p2pbuf_kconfig.h.tmp p2pbuf_kconfig.h
	AC_MSG_NOTICE([wrote p2pbuf_kconfig.h])
])
