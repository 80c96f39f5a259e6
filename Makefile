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
	check-integrity demo clean $(KERNELS:%=module-%)

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
	$(MAKE) -C /lib/modules/$*/build M=$(BUILD)/$*/src \
		DMAPI_VERSION=$(VERSION) modules
	@cp $(BUILD)/$*/src/dmapi.ko $@

userspace:
	cmake -S $(TOP) -B $(CMAKE_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(CMAKE_BUILD) -j$(JOBS)

# The same library and integration tests as 32-bit programs, to prove
# that the 64-bit module serves them (compat_ioctl).
userspace32:
	cmake -S $(TOP) -B $(CMAKE_BUILD32) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DDMAPI_M32=ON >/dev/null
	cmake --build $(CMAKE_BUILD32) -j$(JOBS)

check-unit: userspace
	@mkdir -p $(BUILD)/test-logs
	ctest --test-dir $(CMAKE_BUILD) -L unit --output-on-failure -j$(JOBS) \
		2>&1 | tee $(BUILD)/test-logs/unit.log; exit $${PIPESTATUS[0]}

check-vm: modules userspace userspace32
	$(TOP)/tests/run-vm-suites $(KERNELS)

check: deps
	$(MAKE) all userspace32
	$(MAKE) check-unit
	$(MAKE) check-vm

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

demo: deps
	$(MAKE) all
	$(TOP)/tools/dmapi-vm --kernel 6.12 --fs xfs --disk 512M --tty -- \
		$(TOP)/tools/hsm/demo

clean:
	rm -rf $(foreach k,$(KERNELS),$(BUILD)/$(k)) $(CMAKE_BUILD) $(CMAKE_BUILD32)
