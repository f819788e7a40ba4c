#include "gpuopt/store.hpp"

#include <utility>

#include "schema.hpp"
#include "store_impl.hpp"

namespace gpuopt {

Store::Impl::Impl(const std::string& path, Mode mode)
    : db(path, mode == Mode::read_only ? store::Database::Access::read_only
                                       : store::Database::Access::read_write_create) {
  store::prepare_schema(db, mode == Mode::read_write);
}

Store Store::open(const std::string& path, Mode mode) { return Store(std::make_unique<Impl>(path, mode)); }

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;
Store::~Store() = default;

const std::string& Store::path() const { return impl_->db.path(); }

void Store::set_busy_timeout(std::chrono::milliseconds timeout) {
  impl_->db.set_busy_timeout(static_cast<int>(timeout.count()));
}

}  // namespace gpuopt
