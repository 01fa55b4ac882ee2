# Manual pages.  Included by the top-level Makefile.am.

dist_man_MANS = \
	man/p2pbuf.4 \
	man/p2pbuf-netlink.7 \
	man/p2pctl.8 \
	man/libp2pbuf.3 \
	man/p2pbuf_ctx_new.3 \
	man/p2pbuf_ctx_ref.3 \
	man/p2pbuf_ctx_unref.3 \
	man/p2pbuf_ctx_get_info.3 \
	man/p2pbuf_ctx_get_fd.3 \
	man/p2pbuf_strerror.3 \
	man/p2pbuf_feature_name.3 \
	man/p2pbuf_version.3 \
	man/p2pbuf_ctl_new.3 \
	man/p2pbuf_ctl_free.3 \
	man/p2pbuf_ctl_last_error.3 \
	man/p2pbuf_provider_add.3 \
	man/p2pbuf_provider_del.3 \
	man/p2pbuf_provider_get.3 \
	man/p2pbuf_provider_list.3 \
	man/p2pbuf_buffer_alloc.3 \
	man/p2pbuf_buffer_free.3 \
	man/p2pbuf_buffer_mmap.3 \
	man/p2pbuf_buffer_munmap.3 \
	man/p2pbuf_buffer_get_size.3 \
	man/p2pbuf_buffer_get_provider.3 \
	man/p2pbuf_buffer_get_handle.3 \
	man/p2pbuf_buffer_get_cache_mode.3 \
	man/p2pbuf_cache_mode_name.3 \
	man/p2pbuf_map.3 \
	man/p2pbuf_sgl_close.3 \
	man/p2pbuf_sgl_get_fd.3 \
	man/p2pbuf_sgl_info.3 \
	man/p2pbuf_sgl_segments.3 \
	man/p2pbuf_sgl_sync.3 \
	man/p2pbuf_reach.3 \
	man/p2pbuf_pci_target_parse.3 \
	man/p2pbuf_pci_target_format.3 \
	man/p2pbuf_map_type_name.3 \
	man/p2pbuf_reach_reason_name.3 \
	man/p2pbuf_dma_dir_name.3
