"""tfart-studio: breed CPPN art in the browser and steer any picture with a gradient."""
