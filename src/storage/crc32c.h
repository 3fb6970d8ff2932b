// CRC32C (Castagnoli, the x-amz-checksum-crc32c of S3) of a buffer, and the combination of
// two adjacent pieces' CRCs into the CRC of both, so that ranges read by different threads,
// each checked where it arrives, give the whole object's CRC without a second pass.
#pragma once

#include <cstdint>
#include <string_view>

namespace apex {

// The finished CRC32C of bytes (ISA-L's crc32_iscsi, PCLMUL/SSE4.2 chosen at run time).
std::uint32_t crc32c(std::string_view bytes);

// The CRC32C of A followed by bytes, from crc(A): a CRC computed piece by piece (crc of
// nothing is 0).
std::uint32_t crc32c_extend(std::uint32_t crc, std::string_view bytes);

// The CRC32C of A followed by B, from crc(A), crc(B) and B's length: O(log length_b).
std::uint32_t crc32c_combine(std::uint32_t crc_a, std::uint32_t crc_b, std::uint64_t length_b);

}  // namespace apex
