/* Sends one Ethernet frame, given as hex in argv[1], out of the loopback device through an AF_PACKET socket,
 * so that the kernel receives it as from a wire (test/kernel/packet-checksums.test.ts: the kernel's receive
 * path is the oracle for bpfkit's checksums). Exit 0 when the frame was sent. */
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	unsigned char frame[65536 + 64];
	size_t len, i;
	struct sockaddr_ll to = { .sll_family = AF_PACKET };
	int fd;

	if (argc != 2 || strlen(argv[1]) % 2 || strlen(argv[1]) / 2 > sizeof(frame)) {
		fprintf(stderr, "usage: packet-inject HEX_FRAME\n");
		return 2;
	}
	len = strlen(argv[1]) / 2;
	for (i = 0; i < len; i++) {
		unsigned int byte;
		if (sscanf(argv[1] + 2 * i, "%2x", &byte) != 1) {
			fprintf(stderr, "packet-inject: not hex at %zu\n", 2 * i);
			return 2;
		}
		frame[i] = byte;
	}
	to.sll_ifindex = if_nametoindex("lo");
	to.sll_protocol = htons(ETH_P_ALL);
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0 || to.sll_ifindex == 0) {
		perror("packet-inject: socket");
		return 1;
	}
	if (sendto(fd, frame, len, 0, (struct sockaddr *)&to, sizeof(to)) != (ssize_t)len) {
		perror("packet-inject: sendto");
		return 1;
	}
	close(fd);
	return 0;
}
