// The forecaster shipped inside gpuopt (models/forecast-default.gpuopt; docs/forecast.md has the
// command that reproduces it).
#include <string_view>

#include "gpuopt/forecast/forecaster.hpp"

extern "C" const unsigned char gpuopt_forecast_default_model[];
extern "C" const unsigned long gpuopt_forecast_default_model_size;

namespace gpuopt::forecast {

std::unique_ptr<Forecaster> load_default_forecaster() {
  const std::string_view bytes(reinterpret_cast<const char*>(gpuopt_forecast_default_model),
                               gpuopt_forecast_default_model_size);
  const std::string name = "<embedded forecast-default.gpuopt>";
  return load_forecaster(ml::decode_model_file(bytes, name), name);
}

}  // namespace gpuopt::forecast
