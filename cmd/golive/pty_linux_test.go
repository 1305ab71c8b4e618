//go:build linux

package main_test

import (
	"os"
	"strconv"
	"syscall"
	"unsafe"

	. "github.com/onsi/gomega"
)

// openPTY opens a pseudo-terminal pair: a process whose stdout is the slave
// sees a terminal, as golive does when run by hand, and what it writes is
// read from the master.
func openPTY() (master, slave *os.File) {
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	Expect(err).NotTo(HaveOccurred(), "open /dev/ptmx")
	unlock := int32(0)
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock)))
	Expect(errno).To(BeZero(), "unlock the pty")
	var n uint32
	_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n)))
	Expect(errno).To(BeZero(), "number of the pty")
	s, err := os.OpenFile("/dev/pts/"+strconv.FormatUint(uint64(n), 10), os.O_RDWR|syscall.O_NOCTTY, 0)
	Expect(err).NotTo(HaveOccurred(), "open the pty's terminal")
	return m, s
}
