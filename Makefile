# SPDX-License-Identifier: GPL-2.0
#
# make            build dmapi.ko for every target kernel and the user space
# make check      install what is missing, build, run the host unit tests,
#                 then the in-guest suites on every target kernel
# make demo       boot a test VM and show the reference HSM at work
#
# Target kernels are those scripts/install-deps prepared (build/kernels/
# abi-*); KERNELS="RELEASE ..." overrides.

SHELL		:= /bin/bash
TOP		:= $(CURDIR)
BUILD		:= $(TOP)/build
VERSION		:= $(shell cat $(TOP)/VERSION)
KERNELS		?= $(foreach f,$(wildcard $(BUILD)/kernels/abi-*),$(shell cat $(f)))
CMAKE_BUILD	:= $(BUILD)/cmake
CMAKE_BUILD32	:= $(BUILD)/cmake-m32
JOBS		?= $(shell nproc)
KMOD_SOURCES	:= Kbuild $(wildcard kmod/*.c kmod/*.h kmod/fs/*.c kmod/fs/*.h) \
		   include/xdsm/dmapi_ioctl.h

.PHONY: all deps modules userspace userspace32 check check-unit check-vm \
	check-integrity check-fuzz check-stress check-install check-debug debug-kernel \
	demo bench \
	install uninstall dkms-install \
	dkms-uninstall clean \
	$(KERNELS:%=module-%)

all: modules userspace

deps:
	@if [ "$$(id -u)" = 0 ]; then $(TOP)/scripts/install-deps; \
	else echo "make: not root, skipping scripts/install-deps"; fi

modules: $(KERNELS:%=$(BUILD)/%/dmapi.ko)

# Each kernel builds in its own copy of the sources: Kbuild writes its
# objects beside them.
$(BUILD)/%/dmapi.ko: $(KMOD_SOURCES)
	@test -e /lib/modules/$*/build/Makefile || \
		{ echo "no headers for $*: run scripts/install-deps" >&2; exit 1; }
	@mkdir -p $(BUILD)/$*/src
	@cp -a Kbuild kmod include $(BUILD)/$*/src/
	$(MAKE) -j$(JOBS) -C /lib/modules/$*/build M=$(BUILD)/$*/src \
		DMAPI_VERSION=$(VERSION) modules
	@cp $(BUILD)/$*/src/dmapi.ko $@

userspace:
	cmake -S $(TOP) -B $(CMAKE_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(CMAKE_BUILD) -j$(JOBS)

# The same library and integration tests as 32-bit programs, to prove
# that the 64-bit module serves them (compat_ioctl).  Only what the guest
# runs is built, the host tests of the i386 ABI (the layouts, the
# library's marshalling) included: the guest runs them, since a host
# kernel may run no 32-bit programs.
UNIT32		:= dmapi_unit_tests dmapi_fake_device_tests
userspace32:
	cmake -S $(TOP) -B $(CMAKE_BUILD32) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DDMAPI_M32=ON >/dev/null
	cmake --build $(CMAKE_BUILD32) -j$(JOBS) --target dmapi dm dmapi-vm-tests dmapi-reserved-tests \
		dmapi-fuzz $(UNIT32)

check-unit: userspace
	@mkdir -p $(BUILD)/test-logs
	ctest --test-dir $(CMAKE_BUILD) -L unit --output-on-failure -j$(JOBS) \
		2>&1 | tee $(BUILD)/test-logs/unit.log; exit $${PIPESTATUS[0]}

check-vm: modules userspace userspace32
	$(TOP)/tests/run-vm-suites $(KERNELS)

# The host's checks run beside the guests, in CPU time the guests leave
# idle (tests/run-vm-suites --beside).
check: deps
	$(MAKE) all userspace32
	$(TOP)/tests/run-vm-suites --beside "$(MAKE) check-unit check-install" $(KERNELS)

# The reference HSM's integrity run at scale, on each target kernel and
# filesystem (about a minute per thousand files and cycle).
INTEGRITY_FILES	?= 10000
INTEGRITY_CYCLES ?= 10
check-integrity: modules userspace
	@for k in $(KERNELS); do for fs in xfs ext4; do \
		echo "== $$k $$fs"; \
		$(TOP)/tools/dmapi-vm --kernel $$k --fs $$fs --fs-size 8G --timeout 0 -- \
			$(CMAKE_BUILD)/tests/hsm/dmhsm-integrity \
			--files $(INTEGRITY_FILES) --cycles $(INTEGRITY_CYCLES) || exit 1; \
	done; done

# The control device's fuzzer for longer, on each target kernel and
# filesystem, 64-bit and 32-bit (the compat ioctl path): FUZZ_SECONDS
# each, FUZZ_SEED to replay a run.
FUZZ_SECONDS	?= 300
FUZZ_SEED	?=
check-fuzz: modules userspace userspace32
	@for k in $(KERNELS); do for fs in xfs ext4; do for b in cmake cmake-m32; do \
		echo "== $$k $$fs $$b"; \
		$(TOP)/tools/dmapi-vm --kernel $$k --fs $$fs --timeout 0 -- \
			env FUZZ_BIN=$(BUILD)/$$b/tests/fuzz/dmapi-fuzz \
			$(TOP)/tests/fuzz/run-in-guest $(FUZZ_SECONDS) $(FUZZ_SEED) || exit 1; \
	done; done; done

# Guest kernels with the kernel's bug detectors (KASAN, lockdep, kmemleak
# and more), built from Debian's source once per machine and cached
# outside the checkout (scripts/debug-kernel), for each series of
# DEBUG_KERNELS.  make check-debug runs every in-guest suite on them.
DEBUG_KERNELS	?= 6.1 6.12
DEBUG_ABIS	= $$(for s in $(DEBUG_KERNELS); do cat $(BUILD)/kernels/debug-abi-$$s; done)
debug-kernel:
	@for s in $(DEBUG_KERNELS); do $(TOP)/scripts/debug-kernel $$s || exit 1; done

check-debug: debug-kernel userspace userspace32
	$(MAKE) modules KERNELS="$(DEBUG_ABIS)"
	DMAPI_VM_TIMEOUT=21600 DMAPI_VM_MEM=2048 DMAPI_TEST_MATRIX=full \
		$(TOP)/tests/run-vm-suites $(DEBUG_ABIS)

# The stress test for longer, on each target kernel and filesystem:
# STRESS_SECONDS each, STRESS_SEED to replay the same choices.
STRESS_SECONDS	?= 300
STRESS_SEED	?=
check-stress: modules userspace
	@for k in $(KERNELS); do for fs in xfs ext4; do \
		echo "== $$k $$fs"; \
		$(TOP)/tools/dmapi-vm --kernel $$k --fs $$fs --timeout 0 -- \
			$(TOP)/tests/stress/run-in-guest $(STRESS_SECONDS) $(STRESS_SEED) || exit 1; \
	done; done

# make install [DESTDIR=DIR] [PREFIX=/usr/local] [KERNELRELEASE=RELEASE]
#
# The module for KERNELRELEASE (default: the running kernel) through
# kbuild's modules_install into /lib/modules/RELEASE/updates, then depmod;
# the libraries, headers, pkg-config and CMake files, tools and manual
# pages under PREFIX; the udev rule of /dev/dmapi under UDEVDIR.  What was
# installed is listed in build/install-manifest.txt, which make uninstall
# removes.
PREFIX		?= /usr/local
UDEVDIR		?= /usr/lib/udev
KERNELRELEASE	?= $(shell uname -r)
MANIFEST	:= $(BUILD)/install-manifest.txt

install: $(BUILD)/$(KERNELRELEASE)/dmapi.ko userspace
	$(MAKE) -C /lib/modules/$(KERNELRELEASE)/build M=$(BUILD)/$(KERNELRELEASE)/src \
		INSTALL_MOD_PATH=$(DESTDIR) INSTALL_MOD_DIR=updates DEPMOD=true \
		modules_install
	depmod $(if $(DESTDIR),-b $(DESTDIR)) $(KERNELRELEASE)
	DESTDIR=$(DESTDIR) cmake --install $(CMAKE_BUILD) --prefix $(PREFIX)
	install -D -m 644 scripts/udev/60-dmapi.rules \
		$(DESTDIR)$(UDEVDIR)/rules.d/60-dmapi.rules
	@{ awk '{ print }' $(CMAKE_BUILD)/install_manifest.txt | sed 's|^$(DESTDIR)||'; \
	   cd $(or $(DESTDIR),/) && ls -d lib/modules/$(KERNELRELEASE)/updates/dmapi.ko* | \
		sed 's|^|/|'; \
	   echo $(UDEVDIR)/rules.d/60-dmapi.rules; } >$(MANIFEST)
	$(if $(DESTDIR),,ldconfig)
	@echo "installed: $$(wc -l <$(MANIFEST)) files (list: $(MANIFEST))"

uninstall:
	@test -f $(MANIFEST) || { echo "uninstall: no $(MANIFEST): nothing installed from here" >&2; exit 1; }
	@while read -r f; do rm -f "$(DESTDIR)$$f"; done <$(MANIFEST)
	@for d in $$(sed -n 's|/[^/]*$$||p' $(MANIFEST) | sort -ru); do \
		rmdir -p --ignore-fail-on-non-empty "$(DESTDIR)$$d" 2>/dev/null || true; done
	depmod $(if $(DESTDIR),-b $(DESTDIR)) $(KERNELRELEASE)
	@echo "removed: $$(wc -l <$(MANIFEST)) files"; rm -f $(MANIFEST)

# make dkms-install [DESTDIR=DIR]: the module's sources and dkms.conf in
# /usr/src/dmapi-VERSION, then (without DESTDIR) dkms add, so that DKMS
# builds and installs dmapi.ko for every kernel, now (dkms autoinstall)
# and after each kernel upgrade.  make dkms-uninstall removes it from
# every kernel and from DKMS.
DKMS_SRC	:= $(DESTDIR)/usr/src/dmapi-$(VERSION)

dkms-install:
	install -d $(DKMS_SRC)/include/xdsm
	cp -a Kbuild kmod $(DKMS_SRC)/
	cp include/xdsm/dmapi_ioctl.h $(DKMS_SRC)/include/xdsm/
	sed 's/@VERSION@/$(VERSION)/' scripts/dkms.conf.in >$(DKMS_SRC)/dkms.conf
	$(if $(DESTDIR),,dkms add -m dmapi -v $(VERSION))

dkms-uninstall:
	$(if $(DESTDIR),,-dkms remove -m dmapi -v $(VERSION) --all)
	rm -rf $(DKMS_SRC)

# Install into a scratch DESTDIR for one target kernel, use the result as
# a program would (pkg-config, find_package, modinfo), and uninstall.
check-install: modules userspace
	$(TOP)/tests/install/check-install $(firstword $(KERNELS))
	$(TOP)/tests/install/check-dkms $(KERNELS)

# Benchmarks (bench/run): ratios against the raw filesystem and the
# kernel's own peers, on every target kernel and filesystem, recorded in
# bench/RESULTS.md.  make check runs them tiny (bench/guest-bench --smoke).
bench: deps
	$(MAKE) all
	$(TOP)/bench/run --record $(KERNELS)

demo: deps
	$(MAKE) all
	$(TOP)/tools/dmapi-vm --kernel 6.12 --fs xfs --disk 512M --tty -- \
		$(TOP)/tools/hsm/demo

clean:
	rm -rf $(foreach k,$(KERNELS),$(BUILD)/$(k)) $(CMAKE_BUILD) $(CMAKE_BUILD32)
