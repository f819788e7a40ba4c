// The name of this machine, as labels and device origins show it.
#pragma once

#include <string>

namespace gpuopt {

// gethostname(), or "localhost" when it cannot be read.
std::string local_host_name();

}  // namespace gpuopt
