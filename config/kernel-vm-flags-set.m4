dnl vm_flags_set()/vm_flags_clear(): Linux 6.3, commit bc292ab00f6c
dnl ("mm: introduce vma->vm_flags wrapper functions"); from then on
dnl vma->vm_flags is const and must not be written directly.
AC_DEFUN([P2PBUF_KERNEL_SRC_VM_FLAGS_SET], [
	P2PBUF_LINUX_TEST_SRC([vm_flags_set], [
#include <linux/mm.h>
	], [
	struct vm_area_struct *vma = NULL;

	vm_flags_set(vma, VM_IO);
	vm_flags_clear(vma, VM_IO);
	])
])

AC_DEFUN([P2PBUF_KERNEL_VM_FLAGS_SET], [
	P2PBUF_LINUX_TEST_RESULT([vm_flags_set], [VM_FLAGS_SET],
		[vm_flags_set() exists (6.3)])
])
