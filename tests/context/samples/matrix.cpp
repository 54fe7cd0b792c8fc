#include <vector>
#include <cstddef>

namespace linalg {

/// A dense matrix of doubles.
class Matrix {
public:
    /// Builds a rows x cols matrix of zeros.
    Matrix(std::size_t rows, std::size_t cols);

    /// The element at (r, c).
    double at(std::size_t r, std::size_t c) const {
        return data_[r * cols_ + c]; // BODY_MARKER
    }

    /// The transposed matrix.
    Matrix transpose() const;

private:
    std::size_t rows_, cols_;
    std::vector<double> data_;
};

/// Multiplies two matrices.
template <typename T>
T multiply(const T& a, const T& b) {
    T out(a); // BODY_MARKER
    return out;
}

constexpr int kMaxSize = 4096;

}  // namespace linalg
