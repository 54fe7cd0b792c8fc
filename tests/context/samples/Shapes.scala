package geometry

import scala.math.Pi

/** A shape with an area. */
trait Shape {
  /** The area. */
  def area: Double
}

/** A circle. */
case class Circle(radius: Double) extends Shape {
  def area: Double = Pi * radius * radius // BODY_MARKER
}

/** Shape helpers. */
object Shapes {
  val Unit: Double = 1.0
  /** The total area. */
  def total(shapes: Seq[Shape]): Double = {
    shapes.map(_.area).sum // BODY_MARKER
  }
}
