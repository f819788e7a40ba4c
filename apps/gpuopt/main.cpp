// gpuopt: watch GPUs, store their telemetry, export it to Prometheus.
#include <cstdio>
#include <exception>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "gpuopt/error.hpp"

int main(int argc, char** argv) {
  using namespace gpuopt;
  // Warnings of the library (replay, serve) go to stderr; stdout carries only command output.
  spdlog::set_default_logger(spdlog::stderr_color_mt("gpuopt"));
  CLI::App app{"gpuopt: GPU telemetry, memory prediction and power optimization"};
  app.name("gpuopt");
  app.require_subcommand(0, 1);
  cli::GlobalOptions global;
  bool show_version = false;
  app.add_flag("-V,--version", show_version, "Print the version and the available backends");
  app.add_option("--db", global.db_path,
                 "Sample store (SQLite file); default $GPUOPT_DB or ~/.local/share/gpuopt/gpuopt.db")
      ->check([](const std::string& path) {  // "" must not fall back to the default store
        return path.empty() ? std::string("empty path") : std::string();
      });
  app.add_option("--nvml-lib", global.nvml_library,
                 "Path of libnvidia-ml.so to load instead of the driver's");
  app.add_flag("-q,--quiet", global.quiet, "No progress bars or notices");

  cli::register_devices(app, global);
  cli::register_collect(app, global);
  cli::register_import(app, global);
  cli::register_query(app, global);
  cli::register_serve(app, global);
  cli::register_mem(app, global);
  cli::register_forecast(app, global);
  cli::register_events(app, global);
  cli::register_power(app, global);

  try {
    app.parse(argc, argv);
    if (show_version) {
      cli::print_version(global);
    } else if (app.get_subcommands().empty()) {
      std::fputs(app.help().c_str(), stdout);
    }
    return 0;
  } catch (const CLI::ParseError& e) {
    // --help prints and exits 0; every other parse error (missing or out-of-range option) is a
    // usage error like UsageError's, exit 2, whatever CLI11's own code for it.
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "gpuopt: error: %s\n", e.what());
    return 2;
  } catch (const Error& e) {
    std::fprintf(stderr, "gpuopt: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gpuopt: internal error: %s\n", e.what());
    return 1;
  }
}
