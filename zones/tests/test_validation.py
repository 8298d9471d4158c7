import pytest
from django.core.exceptions import ValidationError

from tests.factories import EntranceLineFactory, ZoneFactory
from zones.models import Zone


def build_zone(polygon, **kwargs) -> Zone:
    zone = ZoneFactory.build(polygon=polygon, **kwargs)
    zone.camera.store.organization.save()
    zone.camera.store.save()
    zone.camera.save()
    return zone


@pytest.mark.django_db
class TestZoneValidation:
    def test_valid_polygon_is_accepted_and_normalised(self):
        zone = build_zone([[100, 100], [400, 100], [400, 300]])
        zone.clean()
        assert zone.polygon == [[100.0, 100.0], [400.0, 100.0], [400.0, 300.0]]

    def test_fewer_than_three_points_rejected(self):
        with pytest.raises(ValidationError) as error:
            build_zone([[100, 100], [400, 100]]).full_clean()
        assert "at least 3 points" in str(error.value.message_dict["polygon"])

    def test_self_intersecting_bow_tie_rejected(self):
        with pytest.raises(ValidationError) as error:
            build_zone([[0, 0], [100, 100], [100, 0], [0, 100]]).full_clean()
        assert "not valid" in str(error.value.message_dict["polygon"])

    def test_point_outside_screenshot_rejected(self):
        with pytest.raises(ValidationError) as error:
            build_zone([[100, 100], [2000, 100], [400, 300]]).full_clean()
        assert "outside the 1920x1080 screenshot" in str(error.value.message_dict["polygon"])

    def test_non_numeric_and_malformed_points_rejected(self):
        with pytest.raises(ValidationError):
            build_zone([[100, "a"], [200, 100], [400, 300]]).full_clean()
        with pytest.raises(ValidationError):
            build_zone([[100], [200, 100], [400, 300]]).full_clean()
        with pytest.raises(ValidationError):
            build_zone("not a list").full_clean()

    def test_collinear_points_have_no_area(self):
        with pytest.raises(ValidationError):
            build_zone([[0, 0], [50, 50], [100, 100]]).full_clean()


@pytest.mark.django_db
class TestEntranceLineValidation:
    def test_inside_point_on_the_line_rejected(self):
        line = EntranceLineFactory.build(inside_x=960, inside_y=550)
        with pytest.raises(ValidationError) as error:
            line.clean()
        assert "inside_point" in error.value.message_dict

    def test_degenerate_line_rejected(self):
        line = EntranceLineFactory.build(end_x=960, end_y=400)
        with pytest.raises(ValidationError) as error:
            line.clean()
        assert "line" in error.value.message_dict

    def test_valid_line(self):
        EntranceLineFactory.build().clean()
