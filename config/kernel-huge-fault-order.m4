dnl vm_operations_struct.huge_fault(vmf, unsigned int order): Linux 6.6,
dnl commit 1d024e7a8dab ("mm: remove enum page_entry_size").  Before, the
dnl second argument was an enum page_entry_size, which C lets a function
dnl taking an unsigned int stand for, so assigning such a function proves
dnl nothing: the probe declares the enum itself, which only compiles once
dnl the kernel no longer has it.
AC_DEFUN([P2PBUF_KERNEL_SRC_HUGE_FAULT_ORDER], [
	P2PBUF_LINUX_TEST_SRC([huge_fault_order], [
#include <linux/mm.h>

enum page_entry_size { CONFTEST_PE_SIZE };

static vm_fault_t conftest_huge_fault(struct vm_fault *vmf,
				      unsigned int order)
{
	return VM_FAULT_FALLBACK;
}
	], [
	static const struct vm_operations_struct ops __attribute__((unused)) = {
		.huge_fault = conftest_huge_fault,
	};
	])
])

AC_DEFUN([P2PBUF_KERNEL_HUGE_FAULT_ORDER], [
	P2PBUF_LINUX_TEST_RESULT([huge_fault_order], [HUGE_FAULT_ORDER],
		[vm_operations_struct.huge_fault takes an order (6.6)])
])
